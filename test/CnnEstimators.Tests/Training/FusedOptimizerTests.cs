using FluentAssertions;
using MLNetCnn.Training;
using MLNetCnn.Training.Fused;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchAdamW = TorchSharp.Modules.AdamW;
using TorchSgd = TorchSharp.Modules.SGD;

namespace MLNetCnn.Tests.Training;

/// <summary>
/// The trainer's optimisers against TorchSharp's own AdamW and SGD (tensor by tensor), step for step: in float32 (libtorch's
/// fused kernels) and in float64 (which they do not take here: the block-by-block passes), on parameters that span many
/// blocks and end mid-block, a small one, a non-contiguous one and a bias-sized one, in two groups whose rates change
/// between steps as a schedule changes them; and their saved state, which either can load (training checkpoints written
/// before and after they came in resume the same run).
/// </summary>
public class FusedOptimizerTests
{
    private const int Steps = 6;

    [Fact]
    public void ThisLibtorch_ExportsTheFusedKernels()
    {
        FusedKernels.HasAdamW.Should().BeTrue("TorchSharp 0.107's libtorch 2.10 exports at::_ops::_fused_adamw_::call");
        FusedKernels.HasSgd.Should().BeTrue("TorchSharp 0.107's libtorch 2.10 exports at::_ops::_fused_sgd_::call");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void AdamW_StepsAsTorchSharpsAdamW(ScalarType type)
    {
        var (ours, theirs) = (Parameters(type), Parameters(type));
        using var fused = new MLNetCnn.Training.Fused.AdamW([new TorchAdamW.ParamGroup(ours[..2], 3e-3, weight_decay: 0.05), new TorchAdamW.ParamGroup(ours[2..], 1e-3, weight_decay: 0)], 3e-3, 0.05);
        using var reference = optim.AdamW([new TorchAdamW.ParamGroup(theirs[..2], 3e-3, weight_decay: 0.05), new TorchAdamW.ParamGroup(theirs[2..], 1e-3, weight_decay: 0)], 3e-3);

        Train(fused, ours, reference, theirs, type);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 0.9, false)]
    [InlineData(ScalarType.Float32, 0.9, true)]
    [InlineData(ScalarType.Float32, 0.0, false)]
    [InlineData(ScalarType.Float64, 0.9, true)]
    public void Sgd_StepsAsTorchSharpsSgd(ScalarType type, double momentum, bool nesterov)
    {
        var (ours, theirs) = (Parameters(type), Parameters(type));
        using var fused = new MLNetCnn.Training.Fused.SGD([new TorchSgd.ParamGroup(ours[..2], 0.1, momentum, weight_decay: 5e-4, nesterov: nesterov), new TorchSgd.ParamGroup(ours[2..], 0.01, momentum, nesterov: nesterov)],
            0.1, momentum, 5e-4, nesterov);
        using var reference = optim.SGD([new TorchSgd.ParamGroup(theirs[..2], 0.1, momentum, weight_decay: 5e-4, nesterov: nesterov), new TorchSgd.ParamGroup(theirs[2..], 0.01, momentum, nesterov: nesterov)], 0.1);

        Train(fused, ours, reference, theirs, type);
    }

    [Fact]
    public void Sgd_ParametersThatStartLearningLater_StartTheirMomentumThen()
    {
        // As a fine-tuned backbone thaws: some parameters have no gradient for the first steps.
        var (ours, theirs) = (Parameters(ScalarType.Float32), Parameters(ScalarType.Float32));
        using var fused = new MLNetCnn.Training.Fused.SGD([new TorchSgd.ParamGroup(ours, 0.1, 0.9, weight_decay: 5e-4)], 0.1, 0.9, 5e-4, false);
        using var reference = optim.SGD(theirs, 0.1, momentum: 0.9, weight_decay: 5e-4);
        for (var step = 0; step < Steps; step++)
            Step(fused, ours, reference, theirs, step, learning: step < 2 ? 2 : ours.Length);

        AssertClose(ours, theirs, Parameters(ScalarType.Float32), ScalarType.Float32);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamWState_SavedByOneLoadsIntoTheOther(bool oursFirst)
    {
        OptimizerHelper Create(Parameter[] parameters, bool ours) => ours
            ? new MLNetCnn.Training.Fused.AdamW([new TorchAdamW.ParamGroup(parameters, 3e-3, weight_decay: 0.05)], 3e-3, 0.05)
            : optim.AdamW(parameters, 3e-3, weight_decay: 0.05);
        // (TorchSharp cannot save the state of a non-contiguous parameter, of either kind: the file holds the others.)
        Parameter[] Contiguous() => Parameters(ScalarType.Float32).Where(p => p.is_contiguous()).ToArray();
        var (first, continued, uninterrupted) = (Contiguous(), Contiguous(), Contiguous());
        using var before = Create(first, oursFirst);
        using var alone = Create(uninterrupted, !oursFirst);
        for (var step = 0; step < 3; step++)
            Step(before, first, alone, uninterrupted, step);

        // A fresh optimiser of the other kind takes the first's moments and step counts (as a resumed run does).
        using (no_grad())
            foreach (var (target, source) in continued.Zip(first))
                target.copy_(source);
        using var after = Create(continued, !oursFirst);
        using var state = new MemoryStream();
        before.save_state_dict(new BinaryWriter(state));
        state.Position = 0;
        after.load_state_dict(new BinaryReader(state));
        for (var step = 3; step < Steps; step++)
            Step(after, continued, alone, uninterrupted, step);

        AssertClose(continued, uninterrupted, Contiguous(), ScalarType.Float32);
    }

    private static void Train(OptimizerHelper ours, Parameter[] mine, OptimizerHelper reference, Parameter[] theirs, ScalarType type)
    {
        for (var step = 0; step < Steps; step++)
        {
            if (step == 3)   // as a schedule does between steps
                foreach (var group in ours.ParamGroups.Concat(reference.ParamGroups))
                    group.LearningRate *= 0.5;
            Step(ours, mine, reference, theirs, step);
        }
        AssertClose(mine, theirs, Parameters(type), type);
    }

    // The same random gradients for both; only the first `learning` parameters get one.
    private static void Step(OptimizerHelper ours, Parameter[] mine, OptimizerHelper reference, Parameter[] theirs, int step, int learning = int.MaxValue)
    {
        var generator = new Generator(100UL + (ulong)step);
        foreach (var (own, other) in mine.Zip(theirs).Take(learning))
        {
            using var gradient = randn(own.shape, dtype: own.dtype, generator: generator);
            own.grad = gradient.clone();
            other.grad = gradient.clone();
        }
        ours.step();
        reference.step();
    }

    // `start`: the parameters as they were before the steps (the same generator's draws again).
    private static void AssertClose(Parameter[] mine, Parameter[] theirs, Parameter[] start, ScalarType type)
    {
        start.Should().HaveSameCount(mine);
        foreach (var ((own, other), initial) in mine.Zip(theirs).Zip(start))
        {
            own.sub(initial).abs().max().to(ScalarType.Float64).item<double>().Should().BeGreaterThan(1e-4, "the steps must move every parameter");
            var difference = own.sub(other).abs().max().to(ScalarType.Float64).item<double>();
            difference.Should().BeLessThan(1e-6, $"a {type} parameter of shape [{string.Join(", ", own.shape)}] must step as TorchSharp's optimiser steps it");
        }
    }

    // Many blocks ending mid-block; one block; a transposed (non-contiguous) one of several blocks' size; a bias-sized one.
    private static Parameter[] Parameters(ScalarType type)
    {
        var generator = new Generator(7);
        return
        [
            new Parameter(randn([CacheBlocks.Elements * 3 + 1001], dtype: type, generator: generator)),
            new Parameter(randn([64, 3, 3, 3], dtype: type, generator: generator)),
            new Parameter(randn([CacheBlocks.Elements / 128, 300], dtype: type, generator: generator).t()),
            new Parameter(randn([10], dtype: type, generator: generator)),
        ];
    }
}
