var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

// Requests inside /slow right now, so a test can wait for them to be in the
// app before it acts, instead of sleeping.
var inSlow = 0;

app.MapGet("/", () => "slow app");

// GET /slow?ms=N waits N milliseconds before answering.
app.MapGet("/slow", async (int? ms) =>
{
    Interlocked.Increment(ref inSlow);
    try
    {
        await Task.Delay(ms ?? 0);
        return "slow done";
    }
    finally
    {
        Interlocked.Decrement(ref inSlow);
    }
});

// GET /slow-abortable?ms=N: as /slow, but the wait ends when the request is
// aborted (the client, or the proxy for it, went away).
app.MapGet("/slow-abortable", async (int? ms, HttpContext context) =>
{
    Interlocked.Increment(ref inSlow);
    try
    {
        await Task.Delay(ms ?? 0, context.RequestAborted);
        return "slow done";
    }
    catch (OperationCanceledException)
    {
        return "aborted";
    }
    finally
    {
        Interlocked.Decrement(ref inSlow);
    }
});

// GET /in-flight: how many /slow requests are waiting now.
app.MapGet("/in-flight", () => Volatile.Read(ref inSlow).ToString());

app.Run();
