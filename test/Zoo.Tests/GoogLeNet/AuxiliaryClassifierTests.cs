using FluentAssertions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.GoogLeNet;

public class AuxiliaryClassifierTests
{
    [Fact]
    public void TrainingForward_InTraining_AddsAuxLossesWeighted03()
    {
        using var model = (Zoo.GoogLeNet)CnnZoo.Create("googlenet_aux", numClasses: 4);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(2, 3, 64, 64);
        var y = tensor(new long[] { 1, 3 });
        var seen = new List<float>();
        Tensor Recording(Tensor logits, Tensor targets)
        {
            var loss = nn.functional.cross_entropy(logits, targets);
            seen.Add(loss.item<float>());
            return loss;
        }
        model.eval();
        var (evalLoss, _) = model.TrainingForward(x, y, Recording);
        seen.Should().HaveCount(1, "in eval mode only the main classifier counts");

        seen.Clear();
        model.train();
        foreach (var dropout in model.modules().OfType<TorchSharp.Modules.Dropout>())
            dropout.eval();  // deterministic losses; batch norm stays in training mode
        var (trainLoss, logits) = model.TrainingForward(x, y, Recording);

        seen.Should().HaveCount(3, "main classifier and two auxiliary classifiers");
        logits.shape.Should().Equal(2, 4);
        var expected = seen[0] + 0.3f * (seen[1] + seen[2]);
        trainLoss.item<float>().Should().BeApproximately(expected, 1e-4f);
        evalLoss.item<float>().Should().BeGreaterThan(0);
    }
}
