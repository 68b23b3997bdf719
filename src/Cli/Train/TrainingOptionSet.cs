using System.CommandLine;

namespace MLNetCnn.Cli.Train;

/// <summary>The training options <c>train</c> and <c>compare</c> share, and the settings they make.</summary>
internal sealed class TrainingOptionSet
{
    public TrainingOptionSet(int defaultEpochs)
    {
        Epochs = new Option<int>("--epochs", "-e") { Description = "Passes over the training images.", DefaultValueFactory = _ => defaultEpochs };
        CliOptions.RequirePositive(Epochs);
        CliOptions.RequirePositive(BatchSize);
        CliOptions.RequirePositive(Size);
        CliOptions.RequireBetween(LearningRate, 0, 10);
        CliOptions.RequireBetween(ValidationFraction, 0, 1);
    }

    public Option<int> Epochs { get; }

    public Option<int> BatchSize { get; } = new("--batch-size", "-b") { Description = "Images per step.", DefaultValueFactory = _ => 64 };

    public Option<double> LearningRate { get; } = new("--lr")
    {
        Description = "Peak learning rate (SGD with Nesterov momentum, warm-up then cosine decay).",
        DefaultValueFactory = _ => 0.05,
    };

    public Option<int?> Size { get; } = new("--size") { Description = "Input width and height in pixels; default 28 for Fashion-MNIST, else 64." };

    public Option<bool> Grey { get; } = new("--grey") { Description = "Train on grey images (one channel); Fashion-MNIST always is." };

    public Option<double> ValidationFraction { get; } = new("--validation-fraction")
    {
        Description = "Fraction of --images held out for validation (Fashion-MNIST validates on its test set).",
        DefaultValueFactory = _ => 0.2,
    };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the split, the initial weights and the shuffling.", DefaultValueFactory = _ => 1 };

    public Option<string> Device { get; } = CliOptions.Device();

    public Option<bool> SkipUnreadable { get; } = CliOptions.SkipUnreadable();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Epochs, BatchSize, LearningRate, Size, Grey, ValidationFraction, Seed, Device, SkipUnreadable })
            command.Options.Add(option);
    }

    public TrainSettings Settings(ParseResult parse, string architecture, bool fashionMnist)
        => new(architecture, parse.GetValue(Epochs), parse.GetValue(BatchSize), parse.GetValue(LearningRate),
            parse.GetValue(Size) ?? (fashionMnist ? FashionMnist.ImageSize : 64), fashionMnist || parse.GetValue(Grey) ? 1 : 3, parse.GetValue(Seed),
            parse.GetValue(Device)!, parse.GetValue(SkipUnreadable));
}
