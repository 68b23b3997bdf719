namespace MLNetCnn.Search;

/// <summary>
/// Seeds derived from a search's seed and a trial's number that are the same in every process (unlike <see cref="HashCode"/>, which
/// .NET randomises per process): a search resumed or shared by workers draws the same trials. SplitMix64's finaliser mixes the parts.
/// </summary>
internal static class StableSeed
{
    public static int Of(int seed, int trial, int purpose)
    {
        var x = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)trial * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)purpose * 0x94D049BB133111EBUL);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (int)(x & int.MaxValue);
    }
}
