// GrpcClient <address> <scenario> [--ca <pem file>]
// Calls the GrpcGreeter at address (http:// is h2c with prior knowledge,
// https:// is TLS trusting only the CA file when one is given), runs one
// scenario, prints what it got and exits 0 only when that is what the
// scenario expects; 1 when the results are wrong, 2 for bad arguments.
using GrpcClient;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: GrpcClient <address> <unary|server-streaming|client-streaming|slow-client-streaming|bidi|deadline|cancel> [--ca <pem>]");
    return 2;
}

var address = new Uri(args[0]);
var scenario = args[1];
string? caFile = null;
for (var k = 2; k < args.Length; k++)
{
    if (args[k] == "--ca" && k + 1 < args.Length)
        caFile = args[++k];
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[k]}'");
        return 2;
    }
}

try
{
    using var channel = Channels.Create(address, caFile);
    var scenarios = new Scenarios(new GrpcGreeter.Greeter.GreeterClient(channel));
    var ok = await scenarios.RunAsync(scenario);
    Console.WriteLine(ok ? "PASS " + scenario : "FAIL " + scenario);
    return ok ? 0 : 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (Exception e)
{
    Console.WriteLine($"FAIL {scenario}: {e}");
    return 1;
}
