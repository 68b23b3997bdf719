using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// The initialisations the zoo's architectures use, each drawing from a given generator (a training run's own) or, when it is
/// null, from libtorch's default one (what <c>manual_seed</c> seeds). TorchSharp 0.107's <c>kaiming_*</c> and <c>xavier_*</c>
/// take no generator and its <c>init.normal_</c> and <c>init.uniform_</c> pass theirs to nothing, and a layer's constructor draws
/// from the default one, so the He and PyTorch-default initialisations are written here over the tensor's own <c>normal_</c> and
/// <c>uniform_</c>, which use the generator they are given.
/// </summary>
internal static class WeightInitialisation
{
    /// <summary>
    /// What PyTorch's <c>reset_parameters</c> gives every convolution and linear layer of <paramref name="module"/> (weights
    /// <c>kaiming_uniform_</c> with a = sqrt(5), that is uniform in +-1/sqrt(fan_in), and biases in the same range), and unit batch norms.
    /// </summary>
    public static void LayerDefaults(nn.Module module, Generator? generator)
    {
        using var noGrad = no_grad();
        // TorchSharp's modules() leaves out the module itself, which may be the one layer to initialise (a new classifier).
        foreach (var layer in module.modules().Prepend(module).Distinct())
        {
            switch (layer)
            {
                case Conv2d conv:
                    Uniform(conv.weight, conv.bias, generator);
                    break;
                case Linear linear:
                    Uniform(linear.weight, linear.bias, generator);
                    break;
                case BatchNorm2d norm:
                    UnitNorm(norm);
                    break;
            }
        }
    }

    /// <summary>He initialisation for ReLU networks, as torchvision's ResNets and VGGs use: normal with std sqrt(2 / fan_out).</summary>
    public static void HeNormalFanOut(Tensor weight, Generator? generator)
    {
        using var noGrad = no_grad();
        var fanOut = weight.shape[0] * ReceptiveField(weight);
        weight.normal_(0, Math.Sqrt(2.0 / fanOut), generator);
    }

    /// <summary>Normal with mean 0 and the given std.</summary>
    public static void Normal(Tensor weight, double std, Generator? generator)
    {
        using var noGrad = no_grad();
        weight.normal_(0, std, generator);
    }

    /// <summary>A batch norm that starts as the identity: scale 1, shift 0.</summary>
    public static void UnitNorm(BatchNorm2d norm)
    {
        using var noGrad = no_grad();
        nn.init.ones_(norm.weight);
        nn.init.zeros_(norm.bias);
    }

    private static void Uniform(Tensor weight, Tensor? bias, Generator? generator)
    {
        var bound = 1 / Math.Sqrt(weight.shape[1] * ReceptiveField(weight));
        weight.uniform_(-bound, bound, generator);
        if (bias is not null)
            bias.uniform_(-bound, bound, generator);
    }

    private static long ReceptiveField(Tensor weight) => weight.shape.Skip(2).Aggregate(1L, (product, size) => product * size);
}
