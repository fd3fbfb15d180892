"""The k8s target: the chart installed with helm on the cluster KUBECONFIG names."""
