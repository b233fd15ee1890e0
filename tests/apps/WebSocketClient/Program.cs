// WebSocketClient <ws://host:port/path | wss://...> <1.1|2> [--ca <pem file>]
// Opens a WebSocket with .NET's ClientWebSocket in exactly that HTTP version
// (2: RFC 8441's extended CONNECT over h2c with prior knowledge for ws://, or
// over TLS with ALPN h2 for wss://, never a fallback; wss:// trusts only the
// CA file when one is given), checks the handshake's status (101 for HTTP/1.1, 200 for
// HTTP/2), sends text and binary messages (one larger than HTTP/2's default
// windows) and checks each echo, then closes. Prints PASS or FAIL and exits
// 0 only when every echo was right; 1 when not, 2 for bad arguments.
using System.Net;
using System.Net.WebSockets;
using System.Text;

const string usage = "usage: WebSocketClient <ws(s)://host:port/path> <1.1|2> [--ca <pem>]";
if (args.Length < 2 || (args[1] != "1.1" && args[1] != "2"))
{
    Console.Error.WriteLine(usage);
    return 2;
}
string? caFile = null;
for (var k = 2; k < args.Length; k++)
{
    if (args[k] == "--ca" && k + 1 < args.Length)
    {
        caFile = args[++k];
        continue;
    }
    Console.Error.WriteLine($"unknown argument '{args[k]}'\n{usage}");
    return 2;
}

var address = new Uri(args[0]);
var http2 = args[1] == "2";
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
try
{
    using var handler = new SocketsHttpHandler();
    if (caFile is not null)
        handler.SslOptions.RemoteCertificateValidationCallback = TestCa.TrustOnly(caFile);
    using var invoker = new HttpMessageInvoker(handler);
    using var socket = new ClientWebSocket();
    socket.Options.HttpVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
    socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
    socket.Options.CollectHttpResponseDetails = true;
    await socket.ConnectAsync(address, invoker, timeout.Token);

    var expected = http2 ? HttpStatusCode.OK : HttpStatusCode.SwitchingProtocols;
    if (socket.HttpStatusCode != expected)
    {
        Console.WriteLine($"FAIL: the handshake answered {(int)socket.HttpStatusCode}, not {(int)expected}");
        return 1;
    }

    var big = new byte[300 * 1024];
    new Random(8441).NextBytes(big);
    var messages = new (WebSocketMessageType Type, byte[] Data)[]
    {
        (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("hello over HTTP/" + args[1])),
        (WebSocketMessageType.Binary, big),
        (WebSocketMessageType.Text, Encoding.UTF8.GetBytes("äöü – the last one")),
    };
    foreach (var (type, data) in messages)
    {
        // The echo is read while the message is sent: a message larger than
        // both sides' windows would otherwise wait on itself.
        var receiving = ReceiveMessageAsync(socket, timeout.Token);
        await socket.SendAsync(data, type, endOfMessage: true, timeout.Token);
        var (echoType, echo) = await receiving;
        if (echoType != type || !echo.AsSpan().SequenceEqual(data))
        {
            Console.WriteLine($"FAIL: a {type} message of {data.Length} bytes came back as {echoType}, {echo.Length} bytes");
            return 1;
        }
    }

    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    if (socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
    {
        Console.WriteLine($"FAIL: closed with {socket.CloseStatus}");
        return 1;
    }
    Console.WriteLine($"PASS: {messages.Length} messages echoed over HTTP/{args[1]}");
    return 0;
}
catch (Exception e)
{
    Console.WriteLine($"FAIL: {e}");
    return 1;
}

static async Task<(WebSocketMessageType, byte[])> ReceiveMessageAsync(WebSocket socket, CancellationToken cancel)
{
    var message = new MemoryStream();
    var buffer = new byte[16 * 1024];
    while (true)
    {
        var received = await socket.ReceiveAsync(buffer, cancel);
        if (received.MessageType == WebSocketMessageType.Close)
            throw new WebSocketException("the server closed instead of echoing");
        message.Write(buffer, 0, received.Count);
        if (received.EndOfMessage)
            return (received.MessageType, message.ToArray());
    }
}
