namespace MLNetCnn.Compute;

/// <summary>
/// Held while a network is built: building initialises weights from libtorch's default generator, which is process-wide, so
/// seeding it and building a model must not interleave with another run doing the same (or with a copy being built for bf16).
/// </summary>
internal static class InitialisationGate
{
    public static readonly object Lock = new();
}
