using FluentAssertions;

namespace MLNetCnn.Zoo.Tests.Pretrained;

/// <summary>The catalogue against torchvision's facts and against the zoo's own networks.</summary>
public class WeightsCatalogTests
{
    [Fact]
    public void EveryArchitectureTorchvisionPublishesWeightsFor_HasThem_WithTorchvisionsFileHash()
    {
        string[] published = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "googlenet",
            "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"];
        foreach (var architecture in published)
        {
            var weights = CnnZoo.Weights(architecture);
            weights.Should().Contain(w => w.Name == "IMAGENET1K_V1", architecture);
            weights.Should().OnlyContain(w => w.FileName.Contains("-" + w.Sha256.Substring(0, 8) + ".", StringComparison.Ordinal) && w.Categories.Count == 1000);
        }
        var all = published.SelectMany(CnnZoo.Weights).ToList();
        all.Where(w => w.HashIsPinnedInFull).Should().OnlyContain(w => w.Sha256.All(char.IsAsciiHexDigitLower));
        all.Where(w => !w.HashIsPinnedInFull).Select(w => w.FileName).Should().BeEquivalentTo(
            ["vgg11-8a719046.pth", "vgg11_bn-6002323d.pth", "vgg13-19584684.pth", "vgg13_bn-abd245e5.pth", "resnet152-f82ba261.pth"],
            "every other torchvision file is pinned to its whole SHA-256; these five only to the 8 digits of their names");
        CnnZoo.Weights("resnet50").Select(w => w.Name).Should().Equal("IMAGENET1K_V1", "IMAGENET1K_V2");
        CnnZoo.Weights("resnet50")[1].ResizeSize.Should().Be(232, "V2 weights were evaluated resized to 232, then cropped to 224");
        CnnZoo.Weights("resnet50")[1].Url!.AbsoluteUri.Should().EndWith("/resnet50-11ad3fa6.pth");
        CnnZoo.Weights("resnet18_cntk").Single().Url.Should().BeNull("the offline weights ship with ML.NET's package");
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("googlenet")]
    [InlineData("alexnet")]
    public void PublishedParameterCount_IsTheZooNetworks(string architecture)
    {
        using var model = CnnZoo.Create(architecture);
        var parameters = model.parameters().Sum(p => p.numel());
        CnnZoo.Weights(architecture).Should().OnlyContain(w => w.Parameters == parameters, "the weights fill the zoo's network exactly");
    }

    [Fact]
    public void Categories_AreImageNetsThousand_InOutputOrder()
    {
        var categories = CnnZoo.Weights("resnet18").Single().Categories;
        categories.Should().HaveCount(1000).And.OnlyHaveUniqueItems();
        (categories[0], categories[1], categories[999]).Should().Be(("tench", "goldfish", "toilet tissue"));
    }
}
