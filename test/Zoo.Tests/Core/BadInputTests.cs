using FluentAssertions;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo.Tests.Core;

/// <summary>Clear errors for names and inputs the zoo cannot take.</summary>
public class BadInputTests
{
    [Fact]
    public void Create_UnknownName_ListsRegisteredNames()
    {
        var act = () => CnnZoo.Create("resnet19");

        act.Should().Throw<ArgumentException>().WithMessage("*Unknown architecture 'resnet19'*resnet18*vgg16_bn*").And.ParamName.Should().Be("name");
    }

    [Fact]
    public void Register_ExistingName_IsRefused()
    {
        var act = () => CnnZoo.Register("resnet18", (classes, channels) => new ResNet(18, classes, channels));

        act.Should().Throw<ArgumentException>().WithMessage("*'resnet18' is already registered*");
    }

    [Fact]
    public void Register_NewName_IsCreatedAndListed()
    {
        CnnZoo.Register("test_resnet8", (classes, channels) => new CifarResNet(8, residual: true, classes, channels));

        CnnZoo.List("test_*").Should().Equal("test_resnet8");
        using var model = CnnZoo.Create("test_resnet8", numClasses: 2);
        model.NumClasses.Should().Be(2);
    }

    [Fact]
    public void List_Wildcards_FilterNames()
    {
        CnnZoo.List("vgg*_bn").Should().Equal("vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn");
        CnnZoo.List("plain*").Should().BeEquivalentTo("plain20", "plain32", "plain44", "plain56", "plain110");
        CnnZoo.List("resnet1*").Should().BeEquivalentTo("resnet18", "resnet18_cntk", "resnet18_dnnfeaturizer", "resnet101", "resnet110", "resnet152");
    }

    [Fact]
    public void Create_BadClassOrChannelCount_NamesTheParameter()
    {
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", numClasses: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("numClasses");
        FluentActions.Invoking(() => CnnZoo.Create("resnet20", inChannels: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inChannels");
        FluentActions.Invoking(() => new CifarResNet(21, residual: true)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*6n + 2*");
    }

    [Fact]
    public void Forward_WrongChannelCount_SaysHowToFixIt()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10, inChannels: 3);
        using var x = zeros(2, 1, 28, 28);

        var act = () => model.call(x);

        act.Should().Throw<ArgumentException>().WithMessage("*1 channels*inChannels: 3*2x1x28x28*inChannels: 1*");
    }

    [Fact]
    public void Forward_NotABatchOfImages_IsRefused()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        using var x = zeros(3, 32, 32);

        FluentActions.Invoking(() => model.call(x)).Should().Throw<ArgumentException>().WithMessage("*N x 3 x H x W*3x32x32*");
    }

    [Fact]
    public void Forward_FixedSizeHead_OtherSize_AsksForItsSize()
    {
        using var model = CnnZoo.Create("alexnet_2012", numClasses: 10);
        using var x = zeros(1, 3, 224, 224);

        FluentActions.Invoking(() => model.call(x)).Should().Throw<ArgumentException>().WithMessage("*fixed input of 227x227*224x224*");
    }

    // Every name but the fixed-size networks (the 2012 AlexNet's head, the imported ML.NET ResNet-18's mean image), which refuse any other size.
    public static TheoryData<string> NamesWithMinimum
        => new(CnnZoo.Names.Where(n => n != "alexnet_2012" && n != DnnFeaturizerResNet18.RegistryName && !n.StartsWith("test_")));

    [Theory]
    [MemberData(nameof(NamesWithMinimum))]
    public void Forward_AtMinImageSize_Runs_AndBelowIt_IsRefusedClearly(string name)
    {
        using var model = CnnZoo.Create(name, numClasses: 3);
        model.eval();
        var min = model.MinImageSize;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        model.call(zeros(1, 3, min, min)).shape.Should().Equal(1, 3);
        if (min > 1)
            FluentActions.Invoking(() => model.call(zeros(1, 3, min - 1, min - 1)))
                .Should().Throw<ArgumentException>().WithMessage($"*too small*at least {min}x{min}*");
    }

    [Fact]
    public void ForwardHead_WrongFeatureLength_IsRefused()
    {
        using var model = CnnZoo.Create("resnet20", numClasses: 10);
        using var features = zeros(2, 32);

        FluentActions.Invoking(() => model.ForwardHead(features)).Should().Throw<ArgumentException>().WithMessage("*N x 64*2x32*");
    }
}
