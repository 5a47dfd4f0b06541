/// The release of taasd, taasctl and taas-lab.
public enum TaaSVersion {
    public static let string = "0.1.0"
}
