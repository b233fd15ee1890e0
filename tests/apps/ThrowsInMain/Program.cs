// Fails before any host exists: in-process this is a start-up failure (500.30)
// whose page and log carry the exception.
Console.WriteLine("ThrowsInMain: about to throw");
throw new InvalidOperationException("boom from Main");
