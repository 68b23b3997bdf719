using MLNetCnn.Zoo;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetCnn.Training;

/// <summary>
/// How a pretrained network is fine-tuned: for the first <see cref="CnnFineTuningOptions.FreezeEpochs"/> epochs only the head
/// (the model's <see cref="CnnModel.ClassifierKeyPrefixes"/>) learns, the backbone's weights and batch-norm statistics frozen;
/// afterwards the backbone learns at <see cref="CnnFineTuningOptions.BackboneLearningRateFactor"/> times the head's rate, with its
/// batch-norm statistics frozen throughout under <see cref="CnnFineTuningOptions.FreezeBatchNorm"/>. The phase depends only on
/// the epoch, so a resumed run is in the phase an uninterrupted one would be.
/// </summary>
internal sealed class FineTuningSchedule
{
    private readonly CnnTrainerOptions options;
    private readonly List<Parameter> backbone;
    private readonly List<Parameter> head;
    private readonly List<nn.Module> backboneNorms;
    private bool frozen;

    public FineTuningSchedule(CnnModel model, CnnTrainerOptions options)
    {
        this.options = options;
        bool InHead(string name) => model.ClassifierKeyPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal) || (name + ".").StartsWith(prefix, StringComparison.Ordinal));
        var parameters = model.named_parameters().ToList();
        backbone = parameters.Where(p => !InHead(p.name)).Select(p => p.parameter).ToList();
        head = parameters.Where(p => InHead(p.name)).Select(p => p.parameter).ToList();
        backboneNorms = model.named_modules().Where(m => !InHead(m.name) && m.module.GetType().Name.StartsWith("BatchNorm", StringComparison.Ordinal))
            .Select(m => m.module).ToList();
        if (UsesGroups && head.Count == 0)
            throw new ArgumentException($"{model.Architecture} names no classifier parameters (ClassifierKeyPrefixes), so its backbone cannot be told from its head.");
    }

    /// <summary>Backbone and head get their own optimiser groups (only then: a plain run keeps one group, and its checkpoints their shape).</summary>
    public bool UsesGroups => options.FineTuning.FreezeEpochs > 0 || options.FineTuning.BackboneLearningRateFactor != 1;

    /// <summary>
    /// The optimiser over the model's parameters, in two groups (backbone, head) when fine-tuning. AdamW and SGD run libtorch's
    /// fused kernels (<see cref="Fused.AdamW"/>, <see cref="Fused.SGD"/>); Adam is TorchSharp's.
    /// </summary>
    public OptimizerHelper CreateOptimizer(CnnModel model)
    {
        var (rate, momentum, decay, nesterov) = (options.Optimizer.LearningRate, options.Optimizer.Momentum, options.Optimizer.WeightDecay, options.Optimizer.Nesterov && options.Optimizer.Momentum > 0);
        IEnumerable<Parameter>[] groups = UsesGroups ? [backbone, head] : [model.parameters()];
        return options.Optimizer.Kind switch
        {
            CnnOptimizer.Adam => optim.Adam(groups.Select(g => new Adam.ParamGroup(g, rate, weight_decay: decay)), rate, weight_decay: decay),
            CnnOptimizer.AdamW => new Fused.AdamW(groups.Select(g => new AdamW.ParamGroup(g, rate, weight_decay: decay)), rate, decay),
            _ => new Fused.SGD(groups.Select(g => new SGD.ParamGroup(g, rate, momentum, weight_decay: decay, nesterov: nesterov)), rate, momentum, decay, nesterov),
        };
    }

    /// <summary>Enters the epoch's phase: the backbone frozen (no gradients) in the first FreezeEpochs epochs, learning afterwards.</summary>
    public void BeginEpoch(int epoch)
    {
        frozen = epoch < options.FineTuning.FreezeEpochs;
        foreach (var parameter in backbone)
            parameter.requires_grad = !frozen;
    }

    /// <summary>After <c>model.train()</c>: the backbone's batch norms keep their statistics while it is frozen, or always under FreezeBatchNorm.</summary>
    public void AfterTrainMode()
    {
        if (frozen || options.FineTuning.FreezeBatchNorm)
            foreach (var norm in backboneNorms)
                norm.eval();
    }

    /// <summary>Sets the step's learning rate: the head's, and the backbone's scaled by the factor.</summary>
    public void SetRate(OptimizerHelper optimizer, double rate)
    {
        var groups = optimizer.ParamGroups.ToList();
        for (var i = 0; i < groups.Count; i++)
            groups[i].LearningRate = UsesGroups && i == 0 ? rate * options.FineTuning.BackboneLearningRateFactor : rate;
    }

    /// <summary>Leaves every parameter learnable again (the trained model can be trained further).</summary>
    public void End()
    {
        foreach (var parameter in backbone)
            parameter.requires_grad = true;
    }
}
