using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Scoring;

/// <summary>
/// The one way MLNetCnn reaches an intermediate layer: find a module by its state_dict-style name, and run the network with
/// a forward hook on one module, or on every named one, that is removed again whatever happens.
/// </summary>
internal static class LayerTap
{
    /// <summary>The module named <paramref name="name"/>, when it is one of <paramref name="allowed"/> (default: any named module).</summary>
    /// <param name="model">The network.</param>
    /// <param name="name">A state_dict-style module name, e.g. <c>layer3</c>.</param>
    /// <param name="allowed">The names the caller can use, and what they have in common (for the message); null for every module.</param>
    /// <exception cref="ArgumentException">There is no such module, or it is not allowed; the message lists those that are.</exception>
    public static nn.Module<Tensor, Tensor> Named(CnnModel model, string name, (IReadOnlyList<string> Names, string Kind)? allowed = null)
    {
        var names = allowed?.Names ?? model.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        var module = names.Contains(name) ? model.named_modules().First(m => m.name == name).module as nn.Module<Tensor, Tensor> : null;
        return module ?? throw new ArgumentException(allowed is var (_, kind)
            ? $"{model.Architecture} has no layer '{name}' {kind}. Layers that have one: {string.Join(", ", names)}."
            : $"{model.Architecture} has no layer '{name}'. Layers: {string.Join(", ", names)}.", nameof(name));
    }

    /// <summary>Runs <paramref name="run"/> with <paramref name="onOutput"/> given <paramref name="module"/>'s output (what it returns is passed on).</summary>
    public static T While<T>(nn.Module<Tensor, Tensor> module, Func<Tensor, Tensor> onOutput, Func<T> run)
    {
        var hook = module.register_forward_hook((_, _, output) => onOutput(output));
        try
        {
            return run();
        }
        finally
        {
            hook.remove();
        }
    }

    /// <summary>Runs <paramref name="run"/> with <paramref name="onOutput"/> told the name, module and output of every named module as it finishes.</summary>
    public static void WhileEach(CnnModel model, Action<string, nn.Module, Tensor> onOutput, Action run)
    {
        var hooks = model.named_modules()
            .Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>)
            .Select(m => ((nn.Module<Tensor, Tensor>)m.module).register_forward_hook((module, _, output) =>
            {
                onOutput(m.name, module, output);
                return output;
            }))
            .ToList();
        try
        {
            run();
        }
        finally
        {
            hooks.ForEach(hook => hook.remove());
        }
    }
}
