var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "slow app");

// GET /slow?ms=N waits N milliseconds before answering.
app.MapGet("/slow", async (int? ms) =>
{
    await Task.Delay(ms ?? 0);
    return "slow done";
});

app.Run();
