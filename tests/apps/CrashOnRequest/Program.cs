var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "alive");

// GET /crash ends the process with exit code 42.
app.MapGet("/crash", () => Environment.Exit(42));

// GET /failfast aborts the process without any cleanup.
app.MapGet("/failfast", () => Environment.FailFast("crash requested"));

app.Run();
