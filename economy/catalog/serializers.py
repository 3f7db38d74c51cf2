from rest_framework import serializers

from .models import Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "description",
            "price",
            "type",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
