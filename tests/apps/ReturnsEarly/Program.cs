// Returns from Main without ever building a host: in-process a start-up
// failure (500.30) reporting exit code 5.
Console.WriteLine("ReturnsEarly: returning exit code 5 without a host");
return 5;
