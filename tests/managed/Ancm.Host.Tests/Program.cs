RequestPathTests.Register();
HeaderTextTests.Register();
RequestTrackerTests.Register();
ResponsePhaseTests.Register();
HostingTests.Register();
BodySizeTests.Register();
AbiLayoutTests.Register();
return await TestRunner.RunAsync();
