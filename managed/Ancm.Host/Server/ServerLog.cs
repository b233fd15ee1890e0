// The server's log lines for the app's logging (category Ancm.Host.AncmServer).
using System;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ancm.Host.Server;

internal static class ServerLog
{
    public static void LogBadRequest(this ILogger logger, BadHttpRequestException exception)
    {
        try
        {
            logger.LogInformation("Bad request ({StatusCode}): {Message}", exception.StatusCode, exception.Message);
        }
        catch
        {
            // The app's logging failing must not fail the request path.
        }
    }

    public static void LogApplicationError(this ILogger logger, Exception exception, string traceIdentifier)
    {
        try
        {
            logger.LogError(exception, "Request {TraceIdentifier}: an unhandled exception was thrown by the application.",
                traceIdentifier);
        }
        catch
        {
        }
    }

    public static void LogRequestAborted(this ILogger logger, string traceIdentifier)
    {
        try
        {
            logger.LogDebug("Request {TraceIdentifier}: the request was aborted.", traceIdentifier);
        }
        catch
        {
        }
    }

    public static void LogCallbackError(this ILogger logger, Exception exception, string what)
    {
        try
        {
            logger.LogError(exception, "An error occurred running an {Callback} callback.", what);
        }
        catch
        {
        }
    }
}
