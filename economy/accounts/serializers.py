from rest_framework import serializers

from economy.common.serializers import PatternField, TextField


class TokenRequestSerializer(serializers.Serializer):
    username = TextField(max_length=150)
    password = TextField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the token stops working; null: never."
    )


class PlayerSignInRequestSerializer(serializers.Serializer):
    provider = PatternField(
        r"^[a-z0-9][a-z0-9_.-]{0,49}$",
        max_length=50,
        help_text="Who vouches for the player: `steam`, `apple`, `device`, the studio's name.",
    )
    external_id = TextField(
        min_length=1,
        max_length=255,
        trim_whitespace=False,
        help_text="The player's id at that provider, as the game server verified it.",
    )


class PlayerSessionSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    created = serializers.BooleanField(
        read_only=True, help_text="Whether this call created the player."
    )
