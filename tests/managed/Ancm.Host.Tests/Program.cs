RequestPathTests.Register();
HeaderTextTests.Register();
RequestTrackerTests.Register();
HostingTests.Register();
return await TestRunner.RunAsync();
