using System.Runtime.Intrinsics.X86;

namespace MLNetCnn.Compute;

/// <summary>
/// What this CPU has for reduced-precision arithmetic, read with CPUID (the same bits /proc/cpuinfo shows as avx512_bf16,
/// amx_bf16), so it works on every OS .NET runs on.
/// </summary>
internal static class CpuFeatures
{
    // CPUID leaf 7: sub-leaf 0 EDX bit 22 is AMX-BF16; sub-leaf 1 EAX bit 5 is AVX512_BF16.
    private const int AmxBFloat16Bit = 22;
    private const int Avx512BFloat16Bit = 5;

    /// <summary>The CPU multiplies bf16 in hardware (AVX512_BF16 or AMX-BF16), which is when bf16 training pays.</summary>
    public static bool HasBFloat16Units => HasAvx512BFloat16 || HasAmxBFloat16;

    public static bool HasAmxBFloat16 { get; } = X86Base.IsSupported && MaxLeaf() >= 7 && (X86Base.CpuId(7, 0).Edx & (1 << AmxBFloat16Bit)) != 0;

    // Avx512F.IsSupported also says the OS saves the AVX-512 registers.
    public static bool HasAvx512BFloat16 { get; } = Avx512F.IsSupported && MaxLeaf() >= 7 && X86Base.CpuId(7, 0).Eax >= 1
        && (X86Base.CpuId(7, 1).Eax & (1 << Avx512BFloat16Bit)) != 0;

    /// <summary>The widest vector and bf16 features, for messages: "AVX2", "AVX-512, AVX512_BF16, AMX-BF16".</summary>
    public static string Describe()
    {
        if (!X86Base.IsSupported)
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        var features = new List<string> { Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : "SSE" };
        if (HasAvx512BFloat16)
            features.Add("AVX512_BF16");
        if (HasAmxBFloat16)
            features.Add("AMX-BF16");
        return string.Join(", ", features);
    }

    private static int MaxLeaf() => X86Base.CpuId(0, 0).Eax;
}
