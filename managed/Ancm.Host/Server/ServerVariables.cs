// IServerVariablesFeature (HttpContext.GetServerVariable), as ANCM in-process
// answers it from IIS: the common IIS server variables, computed on demand
// from the request as it arrived (a request_info call, not the app's possibly
// rewritten Request), names in any case, null for a name that means nothing
// here. A value the app sets (URL Rewrite does) is what later reads return.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IServerVariablesFeature
{
    private Dictionary<string, string?>? _setServerVariables;

    string? IServerVariablesFeature.this[string variableName]
    {
        get
        {
            ThrowIfNoName(variableName);
            if (_setServerVariables is not null && _setServerVariables.TryGetValue(variableName, out var set))
                return set;
            return ReadServerVariable(variableName);
        }
        set
        {
            ThrowIfNoName(variableName);
            (_setServerVariables ??= new(StringComparer.OrdinalIgnoreCase))[variableName] = value;
        }
    }

    private static void ThrowIfNoName(string variableName)
    {
        if (string.IsNullOrEmpty(variableName))
            throw new ArgumentException("variableName should be a non-empty string", nameof(variableName));
    }

    private unsafe string? ReadServerVariable(string name)
    {
        AncmRequestInfo info;
        _native.GetInfo(&info, _server.Host);
        return ServerVariables.Compute(name.ToUpperInvariant(), in info, _server.Latin1RequestHeaders,
            _server.PhysicalPath);
    }
}

internal static class ServerVariables
{
    private const string HeaderPrefix = "HTTP_";

    /// <summary>
    /// APPL_PHYSICAL_PATH: the app folder with a trailing '/', as the host sets
    /// ASPNETCORE_IIS_PHYSICAL_PATH before the process starts.
    /// </summary>
    public static string PhysicalPathFromEnvironment() =>
        Environment.GetEnvironmentVariable("ASPNETCORE_IIS_PHYSICAL_PATH") is { Length: > 0 } path
            ? path
            : AppContext.BaseDirectory;

    /// <summary>The value of an upper-cased variable name, or null.</summary>
    /// <param name="physicalPath">APPL_PHYSICAL_PATH, read once per server (ServerCore).</param>
    public static string? Compute(string name, in AncmRequestInfo info, bool latin1, string physicalPath)
    {
        var secure = info.IsTls != 0;
        switch (name)
        {
            case "REMOTE_ADDR":
            case "REMOTE_HOST": // IIS does not look the peer's name up unless told to
                return Address(info.RemoteAddress.Span);
            case "REMOTE_PORT":
                return info.RemotePort.ToString(CultureInfo.InvariantCulture);
            case "LOCAL_ADDR":
                return Address(info.LocalAddress.Span);
            case "SERVER_PORT":
                return info.LocalPort.ToString(CultureInfo.InvariantCulture);
            case "SERVER_PORT_SECURE":
                return secure ? "1" : "0";
            case "SERVER_NAME":
                return ServerName(in info, latin1);
            case "SERVER_PROTOCOL":
            case "HTTP_VERSION":
                return HttpVersions.Protocol(info.HttpVersion);
            case "SERVER_SOFTWARE":
                return "ancm-host";
            case "HTTPS":
                return secure ? "on" : "off";
            case "REQUEST_SCHEME":
                return secure ? "https" : "http";
            case "GATEWAY_INTERFACE":
                return "CGI/1.1";
            case "REQUEST_METHOD":
                return info.Method.ToLatin1();
            case "REQUEST_URI": // the target as sent: path and query, still encoded
            case "HTTP_URL":
            case "UNENCODED_URL":
                return info.Target.ToLatin1();
            case "URL":
            case "PATH_INFO":
            case "SCRIPT_NAME": // the whole app is one handler mapped to "*"
                return RequestPath.Decode(info.Path.Span);
            case "QUERY_STRING":
                return info.Query.ToLatin1();
            case "CONTENT_LENGTH":
                return Header(in info, "CONTENT_LENGTH", latin1) ?? "0";
            case "CONTENT_TYPE":
                return Header(in info, "CONTENT_TYPE", latin1) ?? string.Empty;
            case "APPL_PHYSICAL_PATH":
                return physicalPath;
            case "APPL_PATH": // the app's virtual path: an in-process app is mounted at the root
                return "/";
            case "ALL_HTTP":
                return AllHeaders(in info, latin1, raw: false);
            case "ALL_RAW":
                return AllHeaders(in info, latin1, raw: true);
        }
        return name.StartsWith(HeaderPrefix, StringComparison.Ordinal) && name.Length > HeaderPrefix.Length
            ? Header(in info, name.AsSpan(HeaderPrefix.Length), latin1)
            : null;
    }

    private static string? Address(ReadOnlySpan<byte> text)
    {
        if (text.Length > 2 && text[0] == '[' && text[^1] == ']')
            text = text[1..^1];
        return text.IsEmpty ? null : Encoding.Latin1.GetString(text);
    }

    // The Host header without its port, or the local address when there is none.
    private static string? ServerName(in AncmRequestInfo info, bool latin1)
    {
        var host = Header(in info, "HOST", latin1);
        if (string.IsNullOrEmpty(host))
            return Address(info.LocalAddress.Span);
        var colon = host.LastIndexOf(':');
        if (colon > 0 && host.IndexOf(']', colon) < 0)
            host = host[..colon];
        return host;
    }

    /// <summary>Every line of the header whose name, upper-cased with '-' as '_', is `name`; joined with ','.</summary>
    private static string? Header(in AncmRequestInfo info, ReadOnlySpan<char> name, bool latin1)
    {
        string? joined = null;
        foreach (ref readonly var line in info.HeaderSpan)
        {
            if (!NameMatches(line.Name.Span, name))
                continue;
            var value = HttpText.DecodeHeaderValue(line.Value.Span, latin1);
            joined = joined is null ? value : joined + "," + value;
        }
        return joined;
    }

    private static bool NameMatches(ReadOnlySpan<byte> header, ReadOnlySpan<char> variable)
    {
        if (header.Length != variable.Length)
            return false;
        for (var k = 0; k < header.Length; k++)
        {
            var c = (char)header[k];
            c = c == '-' ? '_' : char.ToUpperInvariant(c);
            if (c != variable[k])
                return false;
        }
        return true;
    }

    // ALL_HTTP: "HTTP_NAME:value" lines; ALL_RAW: the lines as the client sent them.
    private static string AllHeaders(in AncmRequestInfo info, bool latin1, bool raw)
    {
        var text = new StringBuilder();
        foreach (ref readonly var line in info.HeaderSpan)
        {
            var name = line.Name.ToLatin1();
            if (raw)
                text.Append(name).Append(": ");
            else
                text.Append(HeaderPrefix).Append(name.ToUpperInvariant().Replace('-', '_')).Append(':');
            text.Append(HttpText.DecodeHeaderValue(line.Value.Span, latin1)).Append("\r\n");
        }
        return text.ToString();
    }
}
