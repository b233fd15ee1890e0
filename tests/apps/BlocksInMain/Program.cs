// Never builds a host and never returns: the host's startupTimeLimit (500.37)
// is the only way out.
Console.WriteLine("BlocksInMain: sleeping forever before building a host");
Console.Out.Flush();
Thread.Sleep(Timeout.Infinite);
