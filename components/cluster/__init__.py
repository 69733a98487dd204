"""The cluster-services layer: cert-manager, ClusterIssuers, MetalLB, NFS storage, ingress-nginx."""
