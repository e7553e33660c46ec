using ScaleLab.Cli;

return CliApp.Run(args);
