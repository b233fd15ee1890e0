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

// GET /in-flight: how many /slow requests are waiting now.
app.MapGet("/in-flight", () => Volatile.Read(ref inSlow).ToString());

app.Run();
