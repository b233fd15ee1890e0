// Starts, then blocks forever without ever listening on a port.
Console.WriteLine("NeverListens: started");
Thread.Sleep(Timeout.Infinite);
