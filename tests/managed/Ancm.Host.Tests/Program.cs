RequestPathTests.Register();
HeaderTextTests.Register();
RequestTrackerTests.Register();
HostingTests.Register();
BodySizeTests.Register();
return await TestRunner.RunAsync();
