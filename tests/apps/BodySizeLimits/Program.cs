// Request body size limits as the app can change them (placeholder: filled in
// by the body-size-limit work).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "body size limits app");
app.Run();
