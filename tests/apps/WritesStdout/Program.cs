Console.WriteLine("WritesStdout: started");
Console.Error.WriteLine("WritesStdout: stderr line");

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "writes stdout app");

// GET /write?text=X writes X as a line to stdout.
app.MapGet("/write", (string? text) =>
{
    Console.WriteLine(text);
    return "written";
});

app.Run();
