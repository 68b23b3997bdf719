using MLNetCnn.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Compute;

/// <summary>
/// The network's reduced-precision twin for mixed-precision training. TorchSharp has no autocast, so the bf16 compute path is a
/// second copy of the network, rebuilt from the registry, whose convolutions and fully-connected layers hold bf16 weights and whose
/// batch norms stay float32 (libtorch's batch norm takes bf16 input with float32 parameters and statistics, as autocast runs it).
/// The master network keeps everything else: the optimiser steps its float32 weights, and checkpoints, the moving average,
/// validation and export only ever see it. Each training step loads the masters into the copy, runs forward and backward there,
/// and stores the gradients (cast to float32) and the batch statistics back.
/// </summary>
internal sealed class MixedPrecisionCopy : IDisposable
{
    private readonly CnnModel master;
    private readonly CnnModel copy;
    private readonly (Parameter Master, Parameter Copy)[] parameters;
    private readonly (Tensor Master, Tensor Copy)[] buffers;
    private readonly (Tensor Master, Tensor Copy)[] statistics;
    private readonly (nn.Module Master, nn.Module Copy)[] modules;

    /// <exception cref="InvalidOperationException">The registry builds a network of another shape than <paramref name="master"/>.</exception>
    public MixedPrecisionCopy(CnnModel master, ScalarType precision)
    {
        this.master = master;
        // Building draws weights (overwritten from the masters) from libtorch's process-wide generator, which another run may be seeding right now.
        copy = InitialisationGate.BuildAside(() => CnnZoo.Create(master.Architecture, master.NumClasses, master.InChannels, arguments: master.Arguments));
        copy.to(precision);
        foreach (var norm in copy.modules().OfType<BatchNorm>())
            norm.to(ScalarType.Float32);
        copy.to(master.parameters().First().device);
        parameters = Pair(master.named_parameters(), copy.named_parameters(), "parameters");
        buffers = Pair(master.named_buffers(), copy.named_buffers(), "buffers");
        modules = master.named_modules().Zip(copy.named_modules(), (m, c) => (m.module, c.module)).ToArray();
        // Only batch norms update buffers in a forward pass; the others (a stored mean image) are constants that a bf16 round trip would round.
        statistics = modules.Where(p => p.Master is BatchNorm)
            .SelectMany(p => p.Master.named_buffers(recurse: false).Zip(p.Copy.named_buffers(recurse: false), (m, c) => (m.buffer, c.buffer))).ToArray();
    }

    /// <summary>
    /// The copy, holding the masters' current weights, batch statistics, train or eval modes (a frozen backbone's batch norms
    /// stay in eval) and trainable flags, ready for one forward and backward pass.
    /// </summary>
    public CnnModel Load()
    {
        using var noGrad = no_grad();
        foreach (var (m, c) in parameters)
        {
            c.copy_(m);
            c.requires_grad = m.requires_grad;
        }
        foreach (var (m, c) in buffers)
            c.copy_(m);
        copy.train(master.training);
        // named_modules lists parents before children, so each module ends in its own mode.
        foreach (var (m, c) in modules)
            c.train(m.training);
        return copy;
    }

    /// <summary>After the backward pass: the copy's gradients onto the masters in float32, and the batch statistics it updated back (in float32 in both).</summary>
    public void Store()
    {
        using var noGrad = no_grad();
        foreach (var (m, c) in parameters)
        {
            if (c.grad is not { } gradient)
                continue;
            if (m.grad is { } existing)
                existing.copy_(gradient);
            else
                m.grad = gradient.to(m.dtype);
        }
        foreach (var (m, c) in statistics)
            m.copy_(c);
        copy.zero_grad();
    }

    /// <summary>Dropout in the copy draws from <paramref name="generator"/>, as the master's would.</summary>
    public void UseGenerator(Generator? generator) => copy.UseGenerator(generator);

    public void Dispose() => copy.Dispose();

    private (TMaster, TCopy)[] Pair<TMaster, TCopy>(IEnumerable<(string name, TMaster value)> ofMaster, IEnumerable<(string name, TCopy value)> ofCopy, string what)
        where TMaster : Tensor where TCopy : Tensor
    {
        var (m, c) = (ofMaster.ToList(), ofCopy.ToList());
        if (!m.Select(x => (x.name, string.Join("x", x.value.shape))).SequenceEqual(c.Select(x => (x.name, string.Join("x", x.value.shape)))))
            throw new InvalidOperationException(
                $"The registry's '{master.Architecture}' builds a network whose {what} differ from the model being trained ({master.GetType().Name}), so it cannot be its " +
                "mixed-precision copy; train it with CnnPrecision.Float32.");
        return m.Zip(c, (a, b) => (a.value, b.value)).ToArray();
    }
}
