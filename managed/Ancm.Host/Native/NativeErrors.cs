// Negative errno-style statuses from the native side, as the exceptions
// ASP.NET Core code expects from a server (Kestrel throws the same types).
using System;
using System.IO;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Ancm.Host.Native;

internal static class NativeErrors
{
    // Linux errno values: this host only runs on Linux.
    private const int EPIPE = 32;
    private const int ECONNABORTED = 103;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ESHUTDOWN = 108;
    private const int ECANCELED = 125;

    // add_trailer's: a field the server refuses as a trailer; the request has ended.
    public const int EINVAL = 22;
    public const int ESTALE = 116;

    // read_body's own: the body broke HTTP's framing, or passed the front end's
    // limit. The server answers 400 or 413 itself, as Kestrel and IIS do.
    private const int EBADMSG = 74;
    private const int EMSGSIZE = 90;
    // read_body's when the body came under the minimum data rate: the server answers 408.
    private const int ETIMEDOUT = 110;

    /// <summary>
    /// For a request body read: a broken body is the client's fault, as in
    /// Kestrel, and so is a body cut short by a client that went away
    /// (Kestrel's "Unexpected end of request content", logged as a bad
    /// request rather than as the app's error with a stack trace).
    /// </summary>
    public static Exception ToBodyReadException(int status) => -status switch
    {
        EPIPE or ECONNABORTED or ECONNRESET or ENOTCONN or ESHUTDOWN =>
            new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest,
                ToException(status)),
        EBADMSG => new BadHttpRequestException("The request body is malformed (bad chunked framing).",
            StatusCodes.Status400BadRequest),
        EMSGSIZE => new BadHttpRequestException("Request body too large for the server's limit.",
            StatusCodes.Status413PayloadTooLarge),
        ETIMEDOUT => new BadHttpRequestException(
            "Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.",
            StatusCodes.Status408RequestTimeout),
        _ => ToException(status),
    };

    public static Exception ToException(int status) => -status switch
    {
        EPIPE or ECONNABORTED or ECONNRESET or ENOTCONN or ESHUTDOWN =>
            new ConnectionResetException($"The client has disconnected (errno {-status}).",
                new IOException($"ancm-host I/O error {status}")),
        ECANCELED => new ConnectionAbortedException("The connection was aborted."),
        _ => new IOException($"ancm-host I/O failed with errno {-status}."),
    };
}
