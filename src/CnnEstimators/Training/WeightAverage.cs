using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// An exponential moving average of the model's weights and buffers, as timm's ModelEmaV2 keeps it, with the warm-up of its
/// later versions: after update k, <c>average = d * average + (1 - d) * weights</c> with <c>d = min(decay, (1 + k) / (10 + k))</c>,
/// so the first updates follow the fast-moving early weights. Integer buffers (batch-norm's batch count) are copied.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    private readonly CnnModel model;
    private readonly double decay;

    public WeightAverage(CnnModel model, double decay, Dictionary<string, Tensor>? saved = null, long updates = 0)
    {
        this.model = model;
        this.decay = decay;
        Updates = updates;
        using var noGrad = no_grad();
        Average = model.state_dict().ToDictionary(kv => kv.Key,
            kv => (saved is not null && saved.TryGetValue(kv.Key, out var value) ? value.to(kv.Value.device) : kv.Value).detach().clone().DetachFromDisposeScope());
    }

    /// <summary>The averaged weights, by state_dict key.</summary>
    public Dictionary<string, Tensor> Average { get; }

    /// <summary>Updates so far (the warm-up reads it).</summary>
    public long Updates { get; private set; }

    /// <summary>The decay of update <paramref name="update"/> (1-based).</summary>
    public static double DecayAt(double decay, long update) => Math.Min(decay, (1.0 + update) / (10.0 + update));

    /// <summary>Folds the model's current weights into the average.</summary>
    public void Update()
    {
        Updates++;
        var d = DecayAt(decay, Updates);
        using var noGrad = no_grad();
        foreach (var (key, weights) in model.state_dict())
        {
            var average = Average[key];
            if (average.is_floating_point())
                average.mul_(d).add_(weights, alpha: 1 - d);
            else
                average.copy_(weights);
        }
    }

    /// <summary>Puts the average into the model until the returned scope ends, then the model's own weights back (validation).</summary>
    public IDisposable InModel()
    {
        var own = Copy(model.state_dict());
        Load(Average);
        return new Restorer(() =>
        {
            Load(own);
            foreach (var value in own.Values)
                value.Dispose();
        });
    }

    /// <summary>Leaves the average in the model (the run's result).</summary>
    public void Apply() => Load(Average);

    public void Dispose()
    {
        foreach (var value in Average.Values)
            value.Dispose();
    }

    private void Load(Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        var current = model.state_dict();
        foreach (var (key, value) in weights)
            current[key].copy_(value);
    }

    private static Dictionary<string, Tensor> Copy(Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        return weights.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private sealed class Restorer(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
