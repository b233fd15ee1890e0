// Exits with code 1 at once, every time it is started.
Console.WriteLine($"AlwaysCrashes: pid {Environment.ProcessId}");
return 1;
