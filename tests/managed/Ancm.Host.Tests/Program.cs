RequestPathTests.Register();
HeaderTextTests.Register();
RequestTrackerTests.Register();
HostingTests.Register();
BodySizeTests.Register();
AbiLayoutTests.Register();
return await TestRunner.RunAsync();
