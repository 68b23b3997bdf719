using System.CommandLine;

namespace MLNetCnn.Cli;

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
        FreezeEpochs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
                result.AddError($"--freeze-epochs must be 0 or more (got {result.GetValueOrDefault<int?>()}).");
        });
    }

    public Option<int> Epochs { get; }

    public Option<int?> BatchSize { get; } = new("--batch-size", "-b") { Description = "Images per step; default the recipe's: 32." };

    public Option<double?> LearningRate { get; } = new("--lr")
    {
        Description = "Peak learning rate (warm-up then cosine decay); default the recipe's: AdamW at 0.002 from scratch, Adam at 0.001 with --weights.",
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

    public Option<string?> Weights { get; } = new("--weights", "-w")
    {
        Description = "Start from pretrained weights of --arch (e.g. IMAGENET1K_V1; 'mlnetcnn summary --arch NAME' lists them) with the " +
                      "fine-tuning recipe: the head alone for the first --freeze-epochs, then the whole network (Adam 0.001, crops, flips, " +
                      "label smoothing, test-time flips). Needs --size of at least 32.",
    };

    public Option<int?> FreezeEpochs { get; } = new("--freeze-epochs")
    {
        Description = "With --weights: epochs in which only the new head learns (default 2, fewer when --epochs is 2 or less).",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Epochs, BatchSize, LearningRate, Size, Grey, ValidationFraction, Seed, Device, SkipUnreadable, Weights, FreezeEpochs })
            command.Options.Add(option);
    }

    public TrainSettings Settings(ParseResult parse, string architecture, bool fashionMnist)
    {
        var weights = parse.GetValue(Weights);
        return new(architecture, parse.GetValue(Epochs), parse.GetValue(BatchSize), parse.GetValue(LearningRate),
            parse.GetValue(Size) ?? (fashionMnist ? FashionMnist.ImageSize : 64),
            weights is not null ? 3 : fashionMnist || parse.GetValue(Grey) ? 1 : 3,   // pretrained weights take colour: grey is repeated
            parse.GetValue(Seed), parse.GetValue(Device)!, parse.GetValue(SkipUnreadable), weights,
            parse.GetValue(FreezeEpochs));
    }
}
