using static TorchSharp.torch;

namespace MLNetCnn.Compute;

/// <summary>
/// Held while a network is built. A layer's constructor draws its weights from libtorch's default generator, which is process-wide:
/// a model class outside the zoo takes its initial weights from there (the trainer seeds it with the run's seed, then builds), so
/// no other run may draw from it meanwhile. The zoo's architectures then draw their weights again from the run's own generator
/// (<see cref="Zoo.CnnModel.InitialiseFrom"/>), and the default generator is put back as it was.
/// </summary>
internal static class InitialisationGate
{
    public static readonly object Lock = new();

    /// <summary>Runs <paramref name="build"/> under the lock and leaves libtorch's default generator as it was before.</summary>
    public static T BuildAside<T>(Func<T> build)
    {
        lock (Lock)
        {
            using var saved = Generator.Default.get_state();
            try
            {
                return build();
            }
            finally
            {
                Generator.Default.set_state(saved);
            }
        }
    }

    /// <summary>
    /// The seed of a run's initialisation generator: derived from the run's seed, so that initial weights do not replay the random
    /// numbers the same seed gives the run's shuffling and augmentation.
    /// </summary>
    public static ulong InitialisationSeed(int seed) => (ulong)(uint)seed ^ 0x9E3779B97F4A7C15UL;
}
