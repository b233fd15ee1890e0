using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ancm.Host.Native;

// The C# mirrors of the C ABI structs (managed/Ancm.Host/Native) against the C
// layout, which abi_layout_dump generates from the headers at build time into
// the file ANCM_ABI_LAYOUT names (set by ctest): same members in the same
// order, at the same offsets, of the same sizes, and the same struct sizes.
static class AbiLayoutTests
{
    private static readonly (string C, Type CSharp)[] s_structs =
    [
        ("ancm_str", typeof(AncmStr)),
        ("ancm_kv", typeof(AncmKv)),
        ("ancm_request_info", typeof(AncmRequestInfo)),
        ("ancm_tls_info", typeof(AncmTlsInfo)),
        ("ancm_request_api", typeof(AncmRequestApi)),
        ("ancm_managed_server", typeof(AncmManagedServer)),
        ("ancm_managed_host", typeof(AncmManagedHost)),
    ];

    public static void Register()
    {
        foreach (var (c, csharp) in s_structs)
        {
            TestRunner.Add($"The C# {csharp.Name} has the layout of the C {c}", () =>
            {
                var layout = CLayout.Load();
                Expect.True(layout.Sizes.ContainsKey(c), $"{c} in the generated C layout");
                Expect.Equal(layout.Sizes[c], ManagedSize(csharp), $"sizeof({c}) vs {csharp.Name}");
                var expected = layout.Members[c]
                    .Select(m => $"{CSharpName(m.Name)}@{m.Offset}:{m.Size}");
                var actual = csharp.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                    .Select(f => (f.Name, Offset: (int)Marshal.OffsetOf(csharp, f.Name), Size: FieldSize(f.FieldType)))
                    .OrderBy(f => f.Offset)
                    .Select(f => $"{f.Name}@{f.Offset}:{f.Size}");
                Expect.Equal(string.Join(", ", expected), string.Join(", ", actual), $"members of {c} vs {csharp.Name}");
            });
        }
        TestRunner.Add("Ancm.Host.dll expects the ABI versions of the C headers", () =>
        {
            var layout = CLayout.Load();
            Expect.Equal(layout.Versions["ANCM_HANDLER_ABI_VERSION"], NativeHost.HandlerAbiVersion, "handler ABI version");
            Expect.Equal(layout.Versions["ANCM_MANAGED_ABI_VERSION"], NativeHost.ManagedAbiVersion, "managed ABI version");
        });
    }

    // C member names are snake_case, C# fields PascalCase; ancm_str's len is Length.
    private static string CSharpName(string c) => c == "len"
        ? "Length"
        : string.Concat(c.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    // Unsafe.SizeOf<T>(), the size the runtime gives the struct, for a Type.
    private static int ManagedSize(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    private static int FieldSize(Type type) =>
        type.IsPointer || type.IsFunctionPointer || type == typeof(nint) || type == typeof(nuint)
            ? IntPtr.Size
            : Marshal.SizeOf(type);

    private sealed class CLayout
    {
        public Dictionary<string, int> Sizes { get; } = [];
        public Dictionary<string, List<(string Name, int Offset, int Size)>> Members { get; } = [];
        public Dictionary<string, uint> Versions { get; } = [];

        public static CLayout Load()
        {
            var path = Environment.GetEnvironmentVariable("ANCM_ABI_LAYOUT");
            Expect.True(!string.IsNullOrEmpty(path) && File.Exists(path),
                $"ANCM_ABI_LAYOUT names the generated C layout (got '{path}')");
            var layout = new CLayout();
            foreach (var line in File.ReadAllLines(path!))
            {
                var parts = line.Split(' ');
                if (parts[0].StartsWith("ANCM_", StringComparison.Ordinal))
                {
                    layout.Versions[parts[0]] = uint.Parse(parts[1], CultureInfo.InvariantCulture);
                    continue;
                }
                var dot = parts[0].IndexOf('.');
                if (dot < 0)
                {
                    layout.Sizes[parts[0]] = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    layout.Members[parts[0]] = [];
                    continue;
                }
                layout.Members[parts[0][..dot]].Add((parts[0][(dot + 1)..],
                    int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture)));
            }
            return layout;
        }
    }
}
