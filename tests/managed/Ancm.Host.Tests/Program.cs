RequestPathTests.Register();
HeaderTextTests.Register();
RequestTrackerTests.Register();
ResponsePhaseTests.Register();
HostingTests.Register();
BodySizeTests.Register();
AbiLayoutTests.Register();
Http2AndTlsTests.Register();
return await TestRunner.RunAsync();
