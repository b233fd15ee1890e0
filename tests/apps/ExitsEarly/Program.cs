// Gives up before building a host: the process exits with code 3.
Console.WriteLine("ExitsEarly: giving up");
Console.Error.WriteLine("ExitsEarly: exiting with code 3");
return 3;
