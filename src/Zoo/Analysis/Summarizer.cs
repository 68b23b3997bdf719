using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// Runs one image through a module with forward hooks on its leaf layers and reads shapes, parameters,
/// multiply-accumulates and receptive fields off what actually ran, so the numbers come from the modules
/// themselves rather than from a table.
/// </summary>
internal static class Summarizer
{
    // Receptive field side and the input-pixel distance between neighbouring outputs ("jump").
    private readonly record struct Field(long Size, long Jump);

    public static ModelSummary Summarize(nn.Module<Tensor, Tensor> module, int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"Summarize needs a positive input shape; got {channels}x{height}x{width}.");
        var leaves = module.named_modules()
            .Where(m => m.module is nn.Module<Tensor, Tensor> && !m.module.children().Any())
            .ToList();
        var rows = new List<LayerSummary>();
        // Fields are keyed by the tensor objects a layer produced; tensors made by functional code between
        // layers (additions, concatenations, ReLUs) fall back to the widest field seen at their spatial size,
        // which is what a sum or concatenation of branches sees.
        var fields = new Dictionary<Tensor, Field>(ReferenceEqualityComparer.Instance);
        var fieldsBySize = new Dictionary<(long, long), Field>();
        var removers = new List<Action>();
        using var input = zeros(1, channels, height, width);
        fields[input] = new Field(1, 1);
        fieldsBySize[(height, width)] = new Field(1, 1);

        foreach (var (name, leaf) in leaves)
        {
            var layer = (nn.Module<Tensor, Tensor>)leaf;
            var remover = layer.register_forward_hook((m, x, y) =>
            {
                var inField = FieldOf(x, fields, fieldsBySize);
                var outField = inField is Field f ? Propagate(m, x, y, f) : (Field?)null;
                if (outField is Field o)
                {
                    fields[y] = o;
                    var size = (y.shape[^2], y.shape[^1]);
                    if (y.dim() == 4 && (!fieldsBySize.TryGetValue(size, out var known) || known.Size < o.Size))
                        fieldsBySize[size] = o;
                }
                rows.Add(new LayerSummary(name, m.GetType().Name, y.shape.Skip(1).ToArray(),
                    m.parameters(recurse: false).Sum(p => p.numel()), Macs(m, x, y), y.numel() / y.shape[0], outField?.Size));
                return y;
            });
            removers.Add(remover.remove);
        }

        var wasTraining = module.training;
        module.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            module.call(input);
        }
        finally
        {
            removers.ForEach(remove => remove());
            module.train(wasTraining);
        }
        return new ModelSummary([channels, height, width], rows, module.parameters().Sum(p => p.numel()));
    }

    private static Field? FieldOf(Tensor x, Dictionary<Tensor, Field> fields, Dictionary<(long, long), Field> fieldsBySize)
    {
        if (fields.TryGetValue(x, out var field))
            return field;
        if (x.dim() == 4 && fieldsBySize.TryGetValue((x.shape[2], x.shape[3]), out field))
            return field;
        return null;  // flattened features: every value sees the whole image
    }

    private static Field? Propagate(nn.Module m, Tensor x, Tensor y, Field f) => m switch
    {
        Conv2d c => Grow(f, c.dilation[0] * (c.kernel_size[0] - 1) + 1, c.stride[0]),
        MaxPool2d p => Grow(f, p.dilation[0] * (p.kernel_size[0] - 1) + 1, p.stride[0]),
        AvgPool2d p => Grow(f, p.kernel_size[0], p.stride[0]),
        // Adaptive pooling to k outputs uses windows of about ceil(in/k) with stride floor(in/k).
        AdaptiveAvgPool2d or AdaptiveMaxPool2d => Grow(f, (x.shape[2] + y.shape[2] - 1) / y.shape[2], x.shape[2] / y.shape[2]),
        Linear or Flatten => null,
        _ => y.dim() == 4 ? f : null,
    };

    private static Field Grow(Field f, long kernel, long stride) => new(f.Size + (kernel - 1) * f.Jump, f.Jump * stride);

    private static long Macs(nn.Module m, Tensor x, Tensor y) => m switch
    {
        Conv2d c => y.numel() / y.shape[0] * (c.in_channels / c.groups) * c.kernel_size[0] * c.kernel_size[1],
        Linear l => l.in_features * l.out_features * (y.numel() / y.shape[0] / l.out_features),
        _ => 0,
    };
}
