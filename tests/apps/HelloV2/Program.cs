var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "Hello World v2!");
app.MapGet("/pid", () => Environment.ProcessId.ToString());

app.Run();
