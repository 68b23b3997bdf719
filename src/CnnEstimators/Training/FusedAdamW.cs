using static TorchSharp.torch;

namespace MLNetCnn.Training.Fused;

/// <summary>
/// TorchSharp's AdamW with the same arithmetic, state, parameter groups and saved state, whose step runs libtorch's fused
/// CPU kernel (<see cref="FusedKernels"/>) where it can, and otherwise makes its passes block by block
/// (<see cref="CacheBlocks"/>). Tensor by tensor, AdamW's eight or so element-wise passes each stream the weights, the
/// gradient and both moments from memory again (a ResNet-18 holds 11M weights, 45 MB a tensor): on small inputs that was
/// 14% of a training step (bench/OptimizerStep). It is named AdamW because TorchSharp writes the optimiser's type name into
/// its saved state and refuses another name on loading: training checkpoints stay readable by and from TorchSharp's AdamW.
/// </summary>
internal sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <summary>Creates the optimiser over parameter groups; what a group does not set comes from the arguments, then AdamW's defaults.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double rate, double weightDecay)
        : base(groups, rate, weight_decay: weightDecay)
    {
    }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        var (beta1, beta2, eps, decay, rate) = (options.beta1!.Value, options.beta2!.Value, options.eps!.Value, options.weight_decay!.Value, options.LearningRate!.Value);
        var fused = new List<(Tensor Weights, Tensor Gradient, Tensor Average, Tensor AverageSquare, Tensor Step)>();
        foreach (var parameter in group.Parameters)
        {
            if (parameter.grad is not Tensor grad)
                continue;
            var state = (State)_state[parameter.Handle];
            state.step += 1;
            if (FusedKernels.HasAdamW && FusedKernels.Accepts(parameter, grad, state.exp_avg, state.exp_avg_sq))
                fused.Add((parameter, grad, state.exp_avg, state.exp_avg_sq, tensor((float)state.step)));
            else
                StepInBlocks(parameter, grad, state, rate, beta1, beta2, eps, decay);
        }
        if (fused.Count > 0)
            FusedKernels.AdamW(fused.Select(f => f.Weights).ToList(), fused.Select(f => f.Gradient).ToList(), fused.Select(f => f.Average).ToList(),
                fused.Select(f => f.AverageSquare).ToList(), fused.Select(f => f.Step).ToList(), rate, beta1, beta2, decay, eps);
    }, closure);

    private static void StepInBlocks(Tensor parameter, Tensor grad, State state, double rate, double beta1, double beta2, double eps, double decay)
    {
        var rootCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, state.step));
        // m / (sqrt(v) / r + eps) = r m / (sqrt(v) + eps r): one pass fewer.
        var stepSize = rate * rootCorrection2 / (1 - Math.Pow(beta1, state.step));
        using var averageWeight = tensor(1 - beta1);
        foreach (var block in CacheBlocks.Of(parameter, grad, state.exp_avg, state.exp_avg_sq))
        {
            using var scope = NewDisposeScope();
            var (weights, gradient, average, averageSquare) = (block[0], block[1], block[2], block[3]);
            weights.mul_(1 - rate * decay);
            average.lerp_(gradient, averageWeight);
            averageSquare.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
            weights.addcdiv_(average, averageSquare.sqrt().add_(eps * rootCorrection2), value: -stepSize);
        }
    }
}
