// Short unique ids for IHttpConnectionFeature.ConnectionId, in the style of
// Kestrel's (13 base-32 characters from a random start).
using System;
using System.Threading;

namespace Ancm.Host.Server;

internal static class ConnectionIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
    private static long s_last = Random.Shared.NextInt64(0, long.MaxValue / 2);

    public static string Next()
    {
        var id = Interlocked.Increment(ref s_last);
        return string.Create(13, id, static (chars, value) =>
        {
            for (var k = chars.Length - 1; k >= 0; k--)
            {
                chars[k] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
