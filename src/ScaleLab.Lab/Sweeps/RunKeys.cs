using System.Security.Cryptography;
using System.Text;

namespace ScaleLab.Lab.Sweeps;

/// <summary>The key of a run: the first 16 hex digits of SHA-256 of its canonical config JSON — 64 bits, so a
/// collision among a study's runs is out of reach (birthday bound ~2³² runs). Every kind keys its runs this way.</summary>
public static class RunKeys
{
    public static string Of(string configJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configJson)))[..16];
}
