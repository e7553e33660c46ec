using ScaleLab.Lab.Registry;

namespace ScaleLab.Lab.Tests.Registry;

public sealed class RunStoresTests
{
    [Theory]
    [InlineData("sqlite:/tmp/a.db", "sqlite", "/tmp/a.db")]
    [InlineData("scalelab.db", "sqlite", "scalelab.db")]
    [InlineData("postgres:Host=h;Database=d", "postgres", "Host=h;Database=d")]
    [InlineData("postgresql:Host=h", "postgres", "Host=h")]
    public void Parse_RegistryString_BackendAndTarget(string registry, string backend, string target)
    {
        Assert.Equal((backend, target), RunStores.Parse(registry));
    }

    [Theory]
    [InlineData("mysql:foo")]
    [InlineData("sqlite:")]
    [InlineData("postgres: ")]
    public void Parse_BadRegistryString_FormatException(string registry)
    {
        Assert.Throws<FormatException>(() => RunStores.Parse(registry));
    }
}
