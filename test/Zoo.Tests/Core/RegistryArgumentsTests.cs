using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>
/// Builders that take arguments: a variant of a family (other blocks per stage, another width, other hidden units) is built by
/// name plus arguments, has the parameters its shape implies, and carries its arguments as part of its identity.
/// </summary>
public class RegistryArgumentsTests
{
    private static long Parameters(CnnModel model) => model.parameters().Sum(p => p.numel());

    [Fact]
    public void ResNet18_WithResNet34sBlocks_HasResNet34sPublishedParameterCount()
    {
        using var model = CnnZoo.Create("resnet18", arguments: new ResNetArguments { Blocks = [3, 4, 6, 3] });

        Parameters(model).Should().Be(21_797_672, "torchvision's resnet34 is resnet18's basic blocks in stages of 3, 4, 6 and 3");
        model.Architecture.Should().Be("resnet18");
        model.Arguments.Should().Be(new ResNetArguments { Blocks = [3, 4, 6, 3] });
    }

    [Fact]
    public void ResNet50_WithResNet101sBlocks_HasResNet101sPublishedParameterCount()
    {
        using var model = CnnZoo.Create("resnet50", arguments: new ResNetArguments { Blocks = [3, 4, 23, 3] });

        Parameters(model).Should().Be(44_549_160);
    }

    [Fact]
    public void CifarResNet20_WithNineBlocksPerStage_IsResNet56()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10, arguments: new CifarResNetArguments { BlocksPerStage = 9 });

        Parameters(model).Should().Be(853_018, "resnet56 has 9 blocks per stage");
    }

    [Theory]
    [InlineData(1, 2.0)]
    [InlineData(3, 0.5)]
    public void CifarResNet_WidthMultiplier_ScalesEveryStage(int blocks, double width)
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10, arguments: new CifarResNetArguments { BlocksPerStage = blocks, WidthMultiplier = width });

        // Counted from the paper's shape: a 3x3 stem, three stages of blocks with two 3x3 convolutions and two batch norms each
        // (option A shortcuts have no parameters), then the linear layer.
        long c1 = (long)(16 * width), c2 = (long)(32 * width), c3 = (long)(64 * width);
        long Stage(long inChannels, long channels) => inChannels * 9 * channels + channels * 9 * channels + 4 * channels
            + (blocks - 1) * (2 * channels * 9 * channels + 4 * channels);
        var expected = 3 * 9 * c1 + 2 * c1 + Stage(c1, c1) + Stage(c1, c2) + Stage(c2, c3) + c3 * 10 + 10;
        Parameters(model).Should().Be(expected);
        model.NumFeatures.Should().Be((int)c3);
        using var logits = model.call(randn(2, 3, 32, 32));
        logits.shape.Should().Equal(2, 10);
    }

    [Fact]
    public void Vgg_WidthAndHiddenUnits_ChangeTheShapeAsTheyShould()
    {
        using var model = CnnZoo.Create("vgg11", numClasses: 5, arguments: new VggArguments { WidthMultiplier = 0.25, HiddenUnits = 256, Dropout = 0.2 });

        // Configuration A at a quarter of the channels: 16, 32, 64, 64, 128, 128, 128, 128; then 128x7x7 -> 256 -> 256 -> 5.
        int[] channels = [16, 32, 64, 64, 128, 128, 128, 128];
        long convolutions = 0, previous = 3;
        foreach (var c in channels)
        {
            convolutions += previous * 9 * c + c;
            previous = c;
        }
        var classifier = (128L * 49 * 256 + 256) + (256L * 256 + 256) + (256L * 5 + 5);
        Parameters(model).Should().Be(convolutions + classifier);
        model.modules().OfType<RunDropout>().Should().HaveCount(2).And.OnlyContain(d => Math.Abs(d.P - 0.2) < 1e-12);
        using var logits = model.call(randn(1, 3, 64, 64));
        logits.shape.Should().Equal(1, 5);
    }

    [Fact]
    public void Defaults_AreTheRegisteredVariant_AndBuildThePaperNetwork()
    {
        CnnZoo.DefaultArguments("resnet34").Should().Be(new ResNetArguments { Blocks = [3, 4, 6, 3] });
        CnnZoo.DefaultArguments("resnet56").Should().Be(new CifarResNetArguments { BlocksPerStage = 9 });
        CnnZoo.DefaultArguments("vgg16_bn").Should().Be(new VggArguments());
        CnnZoo.DefaultArguments("googlenet").Should().BeNull("GoogLeNet takes no arguments");
        CnnZoo.ArgumentsType("resnet18").Should().Be(typeof(ResNetArguments));
        using var model = CnnZoo.Create("resnet18");
        model.Arguments.Should().Be(new ResNetArguments { Blocks = [2, 2, 2, 2] });
    }

    [Fact]
    public void Arguments_RoundTripThroughJson()
    {
        object[] all = [new ResNetArguments { Blocks = [1, 2, 3, 4], WidthMultiplier = 0.75 }, new CifarResNetArguments { BlocksPerStage = 5, WidthMultiplier = 1.5 },
            new VggArguments { WidthMultiplier = 0.5, HiddenUnits = 100, Dropout = 0.1 }];
        string[] names = ["resnet34", "plain20", "vgg13_bn"];
        for (var i = 0; i < all.Length; i++)
            CnnZoo.ArgumentsFromJson(names[i], CnnZoo.ArgumentsToJson(all[i])).Should().Be(all[i]);
    }

    [Fact]
    public void ExportedGraph_RecordsTheArchitectureAndItsArguments()
    {
        var arguments = new CifarResNetArguments { BlocksPerStage = 2, WidthMultiplier = 0.5 };
        using var model = CnnZoo.Create("plain20", numClasses: 3, arguments: arguments);

        using var session = new InferenceSession(model.ToOnnx(3, 32, 32));   // ONNX Runtime reads the metadata, not our own parser

        var metadata = session.ModelMetadata.CustomMetadataMap;
        metadata["mlnetcnn.architecture"].Should().Be("plain20");
        CnnZoo.ArgumentsFromJson("plain20", metadata["mlnetcnn.arguments"]).Should().Be(arguments);
    }

    private sealed record TinyFamilyArguments
    {
        public int Filters { get; init; } = 4;
    }

    private sealed class TinyFamily : CnnModel
    {
        private readonly TorchSharp.Modules.Conv2d conv;
        private TorchSharp.Modules.Linear fc;
        private readonly int filters;

        public TinyFamily(int numClasses, int inChannels, TinyFamilyArguments arguments) : base("tiny_family", numClasses, inChannels)
        {
            filters = arguments.Filters;
            conv = nn.Conv2d(inChannels, filters, 3, padding: 1);
            fc = nn.Linear(filters, numClasses);
            RegisterComponents();
        }

        public override int NumFeatures => filters;
        public override int DefaultImageSize => 16;
        public override int MinImageSize => 1;
        public override IReadOnlyList<string> ClassifierKeyPrefixes => ["fc."];
        protected override Tensor Features(Tensor images) => nn.functional.adaptive_avg_pool2d(conv.call(images), 1).flatten(1);
        protected override Tensor Head(Tensor features) => fc.call(features);

        protected override void ReplaceClassifier(int numClasses)
        {
            fc = nn.Linear(filters, numClasses);
            ReplaceModule("fc", fc);
        }
    }

    [Fact]
    public void UserFamily_IsNotReinitialised_ItsBuilderKnowsItsInitialisation()
    {
        using var model = new TinyFamily(3, 3, new TinyFamilyArguments());
        using var before = model.state_dict()["conv.weight"].clone();
        using var generator = new Generator(1);

        model.InitialiseFrom(generator).Should().BeFalse("a class outside the zoo draws its weights as its own constructor does");
        model.state_dict()["conv.weight"].eq(before).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void UserFamily_RegisteredWithArguments_BuildsEachVariant()
    {
        var name = $"tiny_{Guid.NewGuid():N}";
        CnnZoo.Register(name, new TinyFamilyArguments(), (classes, channels, arguments) => new TinyFamily(classes, channels, arguments));

        using var standard = CnnZoo.Create(name, 2, 1);
        using var wide = CnnZoo.Create(name, 2, 1, arguments: new TinyFamilyArguments { Filters = 12 });

        standard.NumFeatures.Should().Be(4);
        wide.NumFeatures.Should().Be(12);
        wide.Arguments.Should().Be(new TinyFamilyArguments { Filters = 12 });
    }

    [Fact]
    public void ArgumentsOfAnotherFamily_AreRefusedNamingTheExpectedType()
    {
        FluentActions.Invoking(() => CnnZoo.Create("resnet18", arguments: new VggArguments()))
            .Should().Throw<ArgumentException>().WithMessage("*'resnet18' takes ResNetArguments; got VggArguments*");
        FluentActions.Invoking(() => CnnZoo.Create("googlenet", arguments: new VggArguments()))
            .Should().Throw<ArgumentException>().WithMessage("*'googlenet' takes no arguments*");
    }

    [Fact]
    public void ArgumentsOutOfRange_AreRefusedWithEveryProblem()
    {
        FluentActions.Invoking(() => CnnZoo.Create("resnet18", arguments: new ResNetArguments { Blocks = [2, 0, 2], WidthMultiplier = -1 }))
            .Should().Throw<ArgumentException>().WithMessage("*Blocks must give 4 stages*[2, 0, 2]*WidthMultiplier must be in (0, 16]; got -1*");
        FluentActions.Invoking(() => CnnZoo.Create("vgg11", arguments: new VggArguments { Dropout = 1, HiddenUnits = 0 }))
            .Should().Throw<ArgumentException>().WithMessage("*HiddenUnits must be 1 to 65,536; got 0*Dropout must be in [0, 1); got 1*");
    }

    [Fact]
    public void PretrainedWeights_OfAnotherVariant_AreRefusedBeforeAnyDownload()
    {
        FluentActions.Invoking(() => CnnZoo.Create("resnet18", weights: "IMAGENET1K_V1", arguments: new ResNetArguments { Blocks = [1, 1, 1, 1] }))
            .Should().Throw<ArgumentException>().WithMessage("*registered variant*[2,2,2,2]*[1,1,1,1]*from scratch*");
    }

    [Fact]
    public void JsonThatIsNotTheFamilysArguments_IsRefused()
    {
        FluentActions.Invoking(() => CnnZoo.ArgumentsFromJson("resnet18", "{\"WidthMultiplier\": 2}"))
            .Should().Throw<ArgumentException>().WithMessage("*is not ResNetArguments for architecture 'resnet18'*");
    }
}
