using static TorchSharp.torch;

namespace MLNetCnn.Training.Fused;

/// <summary>
/// TorchSharp's SGD (momentum, weight decay, Nesterov) with the same arithmetic, state, parameter groups and saved state,
/// whose step runs libtorch's fused CPU kernel where it can and otherwise passes block by block; named SGD, for the reasons
/// <see cref="AdamW"/> gives.
/// </summary>
internal sealed class SGD : TorchSharp.Modules.SGD
{
    /// <summary>Creates the optimiser over parameter groups; what a group does not set comes from the arguments.</summary>
    public SGD(IEnumerable<ParamGroup> groups, double rate, double momentum, double weightDecay, bool nesterov)
        : base(groups, rate, momentum, weight_decay: weightDecay, nesterov: nesterov)
    {
    }

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        var (momentum, dampening, decay, nesterov, rate) = (options.momentum!.Value, options.dampening!.Value, options.weight_decay!.Value, options.nesterov!.Value, options.LearningRate!.Value);
        // The kernel's first-step flag is one for the call: parameters whose buffers start now (all on the first step, a
        // thawed backbone's later) go in a call of their own.
        var fused = new[] { new List<(Tensor Weights, Tensor Gradient, Tensor? Buffer)>(), new List<(Tensor Weights, Tensor Gradient, Tensor? Buffer)>() };
        foreach (var parameter in group.Parameters)
        {
            if (parameter.grad is not Tensor grad)
                continue;
            var state = (State)_state[parameter.Handle];
            // The first step's momentum buffer is that step's (decayed) gradient, as in TorchSharp and PyTorch.
            var first = momentum != 0 && state.momentum_buffer is null;
            if (first)
                state.momentum_buffer = empty_like(parameter).DetachFromDisposeScope();
            Tensor[] tensors = momentum != 0 ? [parameter, grad, state.momentum_buffer!] : [parameter, grad];
            if (FusedKernels.HasSgd && FusedKernels.Accepts(tensors))
                fused[first ? 1 : 0].Add((parameter, grad, momentum != 0 ? state.momentum_buffer : null));
            else
                StepInBlocks(tensors, first, rate, momentum, dampening, decay, nesterov);
        }
        for (var k = 0; k < 2; k++)
            if (fused[k].Count > 0)
                FusedKernels.Sgd(fused[k].Select(f => f.Weights).ToList(), fused[k].Select(f => f.Gradient).ToList(),
                    momentum != 0 ? fused[k].Select(f => f.Buffer!).ToList() : [], decay, momentum, rate, dampening, nesterov, firstStep: k == 1);
    }, closure);

    private static void StepInBlocks(Tensor[] tensors, bool first, double rate, double momentum, double dampening, double decay, bool nesterov)
    {
        foreach (var block in CacheBlocks.Of(tensors))
        {
            using var scope = NewDisposeScope();
            var (weights, direction) = (block[0], block[1]);
            if (decay != 0)
                direction = direction.add(weights, alpha: decay);
            if (momentum != 0)
            {
                var buffer = block[2];
                if (first)
                    buffer.copy_(direction);
                else
                    buffer.mul_(momentum).add_(direction, alpha: 1 - dampening);
                direction = nesterov ? direction.add(buffer, alpha: momentum) : buffer;
            }
            weights.add_(direction, alpha: -rate);
        }
    }
}
