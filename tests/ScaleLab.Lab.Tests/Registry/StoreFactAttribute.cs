using Xunit.Abstractions;
using Xunit.Sdk;

namespace ScaleLab.Lab.Tests.Registry;

/// <summary>
/// A fact in a store contract test class. When the concrete class carries
/// <see cref="RequiresEnvironmentAttribute"/> and that variable is unset, the test is reported skipped with
/// the reason (a developer without a PostgreSQL server still gets a green run; CI sets the variable).
/// A discoverer is needed because the facts are declared once, on the abstract base class.
/// </summary>
[XunitTestCaseDiscoverer("ScaleLab.Lab.Tests.Registry.StoreFactDiscoverer", "ScaleLab.Lab.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>The tests of the marked class need the environment variable <see cref="Variable"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresEnvironmentAttribute(string variable) : Attribute
{
    public string Variable { get; } = variable;
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute)
    {
        yield return new EnvironmentGatedTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

/// <summary>A test case skipped when its class's required environment variable is unset. The reason is
/// computed where xunit asks for it (also after the case is de-serialized in the runner).</summary>
public sealed class EnvironmentGatedTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public EnvironmentGatedTestCase() { }

    public EnvironmentGatedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions,
        ITestMethod testMethod)
        : base(sink, display, displayOptions, testMethod) { }

    protected override string GetSkipReason(IAttributeInfo factAttribute)
    {
        var variable = (TestMethod.TestClass.Class as IReflectionTypeInfo)?.Type
            .GetCustomAttributes(typeof(RequiresEnvironmentAttribute), inherit: true)
            .OfType<RequiresEnvironmentAttribute>().FirstOrDefault()?.Variable;
        return variable is not null && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable))
            ? $"{variable} is not set: no server to test against (.ci/run starts one and sets it)"
            : base.GetSkipReason(factAttribute);
    }
}
