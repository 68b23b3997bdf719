using FluentAssertions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>The zoo's dropout: torch.nn.Dropout's arithmetic, drawn from the run's generator when it has one.</summary>
public class RunDropoutTests
{
    [Fact]
    public void Training_ZeroesAboutPAndScalesTheRest_EvalIsTheIdentity()
    {
        using var dropout = new RunDropout(0.25);
        using var input = ones(100_000);

        dropout.train();
        using var dropped = dropout.call(input);
        var values = dropped.data<float>().ToArray();
        values.Should().OnlyContain(v => v == 0 || Math.Abs(v - 1 / 0.75f) < 1e-6);
        values.Count(v => v == 0).Should().BeInRange(24_000, 26_000, "a quarter of 100,000 values, within 5 standard deviations");
        dropout.eval();
        using var kept = dropout.call(input);
        kept.data<float>().ToArray().Should().OnlyContain(v => v == 1);
    }

    [Fact]
    public void WithAGenerator_TheMasksFollowIt_NotTheProcessWideGenerator()
    {
        using var model = CnnZoo.Create("alexnet", numClasses: 3);
        var dropouts = model.modules().OfType<RunDropout>().ToList();
        dropouts.Should().HaveCount(2, "AlexNet's two dropout layers are the run-seeded kind");
        using var input = ones(4, 64);
        Tensor Draw(ulong seed, long processSeed)
        {
            using var generator = new Generator(seed);
            model.UseGenerator(generator);
            manual_seed(processSeed);   // what another run in the process might do meanwhile
            dropouts[0].train();
            return dropouts[0].call(input);
        }

        using var first = Draw(5, processSeed: 1);
        using var again = Draw(5, processSeed: 2);
        using var other = Draw(6, processSeed: 1);
        model.UseGenerator(null);

        first.eq(again).all().item<bool>().Should().BeTrue("the same run generator gives the same masks whatever the process-wide one does");
        first.eq(other).all().item<bool>().Should().BeFalse();
    }
}
