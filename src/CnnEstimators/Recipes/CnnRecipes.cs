namespace MLNetCnn;

/// <summary>
/// The named training recipes, in one place: the library's samples, benchmarks, command-line tool and tests start from
/// these. Each call returns new options, to be changed with <c>with</c> like any others (set the columns, and
/// <see cref="CnnInputOptions.VectorShape"/> for pixel vectors).
/// </summary>
public static class CnnRecipes
{
    /// <summary>
    /// The defaults: the recipe that learns from scratch on a few hundred images as well as on large sets (AdamW at 0.002,
    /// weight decay 5e-4, batch 32, one epoch of linear warm-up, cosine decay, 10 epochs). The README's small-data study chose it.
    /// </summary>
    /// <param name="architecture">A zoo architecture (<c>CnnZoo.Names</c>).</param>
    public static CnnTrainerOptions Default(string architecture = "resnet18") => new() { Model = new() { Architecture = architecture } };

    /// <summary>
    /// SGD with Nesterov momentum 0.9 at 0.1, batch 128, a fifth of an epoch of warm-up then cosine decay, random crops (padding
    /// 2) and horizontal flips: the CIFAR-style recipe that takes resnet20 over 90% on Fashion-MNIST in 2 epochs, and the one
    /// the PyTorch peers of bench/ run identically.
    /// </summary>
    /// <param name="architecture">A zoo architecture.</param>
    /// <param name="epochs">Passes over the data.</param>
    public static CnnTrainerOptions Sgd(string architecture, int epochs) => new()
    {
        Model = new() { Architecture = architecture },
        Optimizer = new() { Kind = CnnOptimizer.Sgd, LearningRate = 0.1, Nesterov = true },
        Schedule = new() { Epochs = epochs, BatchSize = 128, Kind = CnnLearningRateSchedule.Cosine, WarmupEpochs = 0.2 },
        Augmentation = new() { RandomCropPadding = 2, HorizontalFlip = true },
    };

    /// <summary>
    /// One epoch (by default) of <see cref="Sgd"/> compressed for speed (batch 64 at 0.2, a tenth of an epoch of warm-up, no
    /// random crops: in one pass they cost more accuracy than they add) with the ingredients that buy accuracy without costing
    /// time: label smoothing 0.1, an exponential moving average of the weights (decay 0.99) and test-time flips. It takes
    /// resnet20 over 90% on Fashion-MNIST in one epoch (README, Benchmarks).
    /// </summary>
    /// <param name="architecture">A zoo architecture.</param>
    /// <param name="epochs">Passes over the data.</param>
    public static CnnTrainerOptions Fast(string architecture, int epochs = 1)
    {
        var sgd = Sgd(architecture, epochs);
        return sgd with
        {
            Optimizer = sgd.Optimizer with { LearningRate = 0.2 },
            Schedule = sgd.Schedule with { BatchSize = 64, WarmupEpochs = 0.1 },
            Augmentation = sgd.Augmentation with { RandomCropPadding = 0 },
            Regularization = new() { LabelSmoothing = 0.1, EmaDecay = 0.99 },
            TestTime = new() { Flip = true },
        };
    }

    /// <summary>
    /// The lecture's AlexNet training recipe: SGD with momentum 0.9, learning rate 0.01 divided by 10 when validation accuracy
    /// stops improving (a tenth of the training rows held out), weight decay 5e-4, batch 128; dropout 0.5 is part of the
    /// AlexNet and VGG architectures. The other options keep their defaults.
    /// </summary>
    /// <param name="architecture">A zoo architecture; the lecture's is <c>alexnet_2012</c>.</param>
    public static CnnTrainerOptions AlexNet(string architecture = "alexnet") => new()
    {
        Model = new() { Architecture = architecture },
        Optimizer = new() { Kind = CnnOptimizer.Sgd, Momentum = 0.9, LearningRate = 0.01, WeightDecay = 5e-4 },
        Schedule = new() { BatchSize = 128, Kind = CnnLearningRateSchedule.ReduceOnPlateau, WarmupEpochs = 0 },
        Validation = new() { Fraction = 0.1 },
    };

    /// <summary>
    /// Fine-tuning pretrained weights on a small data set (a few hundred to a few thousand images): the new head alone for 2
    /// epochs, then the whole network at the head's rate (Adam at 0.001, weight decay 1e-4, half an epoch of warm-up, then cosine
    /// decay), batch 32, random crops (padding an eighth of the size) and flips, label smoothing 0.1, 30 epochs, and scores
    /// averaged over each image and its mirror image (<see cref="CnnTestTimeOptions.Flip"/>; turn it off for images whose
    /// mirror image means something else: text, digits).
    /// </summary>
    /// <remarks>
    /// Chosen by measurement on 1,000 Fashion-MNIST images at 64x64 with the offline ResNet-18 (samples/FineTuning; the
    /// README has the ablation): a backbone at a tenth of the head's rate did worse, as grey clothing is far from ImageNet and
    /// the whole network has to move; a moving average of the weights, random affine warps, random erasing and CutMix did
    /// not help; the frozen epochs neither helped nor hurt there, and are kept for data closer to the pretraining's.
    /// </remarks>
    /// <param name="architecture">A zoo architecture with pretrained weights, e.g. <c>resnet18</c>.</param>
    /// <param name="weights">Its weights, e.g. <c>IMAGENET1K_V1</c> (<c>CnnZoo.Weights(architecture)</c> lists them).</param>
    /// <param name="imageSize">The input's side in pixels (at least 32): smaller than the weights' 224 trains much faster on small images.</param>
    /// <exception cref="ArgumentException">The image size is under 32.</exception>
    public static CnnTrainerOptions FineTuning(string architecture, string weights, int imageSize)
    {
        if (imageSize < 32)
            throw new ArgumentException($"The fine-tuning recipe needs an image size of at least 32 pixels, not {imageSize}: pretrained networks downsample by 32.", nameof(imageSize));
        return new()
        {
            Model = new() { Architecture = architecture, Weights = weights },
            Input = new() { ImageSize = imageSize },
            FineTuning = new() { FreezeEpochs = 2, BackboneLearningRateFactor = 1 },
            Optimizer = new() { Kind = CnnOptimizer.Adam, LearningRate = 0.001, WeightDecay = 1e-4 },
            Schedule = new() { Epochs = 30, BatchSize = 32, Kind = CnnLearningRateSchedule.Cosine, WarmupEpochs = 0.5 },
            Augmentation = new() { RandomCropPadding = imageSize / 8, HorizontalFlip = true },
            Regularization = new() { LabelSmoothing = 0.1 },
            TestTime = new() { Flip = true },
        };
    }
}
